"""Event delivery to the listeners registered on each API's hub."""
