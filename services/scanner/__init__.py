"""The scanner service (may quet): the kiosk's camera for QR codes and its document feeder."""
