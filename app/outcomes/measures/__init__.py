"""The measures as data: outcomes/*.yaml read and checked, loaded, and shown."""
