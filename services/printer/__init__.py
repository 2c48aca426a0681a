"""The printer service: receipts and queue tickets as ESC/POS raster images (Vietnamese-safe)."""
