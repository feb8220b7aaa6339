"""Pixels (Pillow): sniffing, container checks, decoding, geometry, encoding, analysis."""
