"""Local emulators of the Domo platform API and the Eloqua API."""
