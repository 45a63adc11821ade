"""Course standards (课程标准): per profession x training level, versioned, reviewed; and browsing the package."""
