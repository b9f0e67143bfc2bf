"""The bundled synthetic demo platform: invented data (``platform``) and its HTTP server (``server``).

Metadata only: no image, video or audio exists in it, and every name is invented from syllables.
See ``docs/demo-platform.md``.
"""

from unmask.demo.platform import DEFAULT_AS_OF, Album, DemoPlatform, Person, Photo, Uploader, Video

__all__ = ["DEFAULT_AS_OF", "Album", "DemoPlatform", "Person", "Photo", "Uploader", "Video"]
