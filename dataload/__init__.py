"""Loading data into the platform: the registry of Excel imports and the demo campaign builder. It sits on top of every other app."""
