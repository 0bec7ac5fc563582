"""Site and unit configuration (one validated TOML file) and the Django settings.

``schema`` and ``loader`` are plain Python (pydantic); ``settings`` is the Django
settings module and the only part here that knows about Django.
"""
