"""The Configuration page: the unit configuration shown, edited, versioned and reloaded."""
