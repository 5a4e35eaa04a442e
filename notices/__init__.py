"""Notice channels (in-app, email, WeCom/DingTalk robots, SMS), routing, digests, escalation and delivery records."""
