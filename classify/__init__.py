"""Classify: appeal categories per taxonomy profile and the smartphone refund verdict."""
