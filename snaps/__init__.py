"""随手拍: public problem reports, the reporter's status page, and triage into the rectification loop."""
