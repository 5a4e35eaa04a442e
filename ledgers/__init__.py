"""Registers a unit keeps (volunteers, 宣传栏, 文明家庭, meetings and training, honours) and the figures computed from them."""
