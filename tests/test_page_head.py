"""What every page's <head> must carry for a browser under our CSP (the browser journeys saw both fail)."""
import json
import re


def test_htmx_is_told_not_to_inject_its_inline_style_which_the_csp_would_block(client):
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert match and json.loads(match.group(1))["includeIndicatorStyles"] is False
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert ".htmx-indicator" in css  # the rules htmx would have injected


def test_pages_name_an_icon_that_exists_so_browsers_do_not_fetch_a_missing_favicon_ico(client):
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert match
    icon = client.get(match.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
