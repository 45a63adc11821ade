"""站内消息: turns the events the domains announce (app/core/signals.py) into notifications, delivered in-app
and through the registered channels (e-mail, webhooks); reminders before deadlines. See docs/notifications.md."""
