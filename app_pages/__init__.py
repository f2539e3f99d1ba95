"""The app's pages (one module each) and their shared layout helpers (`ui.py`); run through `app.py`."""
