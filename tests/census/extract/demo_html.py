"""Hand-written pages in the layout docs/demo-platform.md specifies for the `demo` flavour."""

from __future__ import annotations

BASE = "http://127.0.0.1:8765"

HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – DemoTube</title>
<link rel="icon" href="/favicon.ico">
<script>window.dataLayer = [];</script>
</head><body>
<header><a class="site" href="/">DemoTube</a>
<nav><a href="/videos">Videos</a> <a href="/photos">Photos</a> <a href="/albums">Albums</a>
<a href="/search">Search</a> <a href="/account/login">Log in</a></nav></header>
<iframe src="/ads/slot?id=7" width="300" height="250"></iframe>
<main>
"""
FOOT = """</main>
<footer><p>&copy; DemoTube</p><a href="/terms">Terms</a></footer>
<script>document.querySelectorAll('video.preview').forEach(v => v.play());</script>
</body></html>
"""

VIDEO_CARD = """<article class="card video-card" data-id="123">
  <a class="thumb" href="/video/123/slug-words"><img src="/media/thumbs/v123.jpg" alt=""></a>
  <video class="preview" src="/media/previews/123.mp4" muted></video>
  <h3 class="card-title"><a href="/video/123/slug-words?ref=listing">Title words</a></h3>
  <span class="duration">12:34</span>
  <span class="views">12.3K views</span>
  <time datetime="2021-03-04">3 years ago</time>
  <a class="uploader" href="/user/uploader-slug">Uploader Name</a>
  <div class="models">
    <a class="model celebrity" href="/model/person-slug">Person Name</a>
    <a class="model private" href="/model/other-slug">Other Name</a>
  </div>
</article>
"""

# A gappy card: its uploader is missing (and it is over an hour long).
GAPPY_VIDEO_CARD = """<article class="card video-card" data-id="124">
  <a class="thumb" href="/video/124/long-one"><img src="/media/thumbs/v124.jpg" alt=""></a>
  <video class="preview" src="/media/previews/124.mp4" muted></video>
  <h3 class="card-title"><a href="/video/124/long-one?ref=listing">Long one</a></h3>
  <span class="duration">1:02:03</span>
  <span class="views">1.2M views</span>
  <time datetime="2020-12-31">4 years ago</time>
  <div class="models">
    <a class="model private" href="/model/third-slug">Third Name</a>
  </div>
</article>
"""

PHOTO_CARD = """<article class="card photo-card" data-id="555">
  <a class="thumb" href="/photo/555"><img src="/media/thumbs/p555.jpg" alt=""></a>
  <h3 class="card-title"><a href="/photo/555?ref=listing">Photo words</a></h3>
  <span class="views">987 views</span>
  <time datetime="2022-06-01">2 years ago</time>
  <a class="uploader" href="/user/uploader-slug">Uploader Name</a>
  <a class="album" href="/album/77/album-slug">Album title</a>
  <div class="models">
    <a class="model private" href="/model/person-two">Person Two</a>
  </div>
</article>
"""

ALBUM_CARD = """<article class="card album-card" data-id="77">
  <a class="thumb" href="/album/77/album-slug"><img src="/media/thumbs/a77.jpg" alt=""></a>
  <h3 class="card-title"><a href="/album/77/album-slug?ref=listing">Album title</a></h3>
  <span class="count">24 photos</span>
  <span class="views">4.5K views</span>
  <time datetime="2022-05-30">2 years ago</time>
  <a class="uploader" href="/user/uploader-slug">Uploader Name</a>
  <div class="models">
    <a class="model celebrity" href="/model/person-slug">Person Name</a>
  </div>
</article>
"""


def pagination(prev: str | None, next_: str | None) -> str:
    links = []
    if prev:
        links.append(f'<a rel="prev" href="{prev}">Previous</a>')
    if next_:
        links.append(f'<a rel="next" href="{next_}">Next</a>')
    return f'<nav class="pagination">{" ".join(links)}</nav>\n'


def listing(title: str, cards: list[str], prev: str | None, next_: str | None) -> str:
    return HEAD.format(title=title) + "".join(cards) + pagination(prev, next_) + FOOT


VIDEO_PAGE = (
    HEAD.format(title="Title words")
    + """<link rel="canonical" href="{base}/video/123/slug-words">
<h1 class="title">Title words</h1>
<video poster="/media/thumbs/v123.jpg"><source src="/media/videos/123.mp4" type="video/mp4"></video>
<a class="download" href="/stream/123">Download</a>
<dl class="meta">
  <dt>Duration</dt><dd class="duration">12:34</dd>
  <dt>Views</dt><dd class="views">1,234,567</dd>
  <dt>Added</dt><dd class="added"><time datetime="2021-03-04">3 years ago</time></dd>
  <dt>Uploaded by</dt><dd><a class="uploader" href="/user/uploader-slug">Uploader Name</a></dd>
</dl>
<div class="models"><a class="model private" href="/model/other-slug">Other Name</a>
<a class="model celebrity" href="/model/person-slug">Person Name</a></div>
<ul class="tags"><li><a class="tag" href="/tag/sky">sky</a></li>
<li><a class="tag" href="/tag/river">river</a></li><li><a class="tag" href="/tag/sky">sky</a></li></ul>
<ul class="categories"><li><a class="category" href="/category/nature">Nature</a></li></ul>
""".replace("{base}", BASE)
    + FOOT
)

PHOTO_PAGE = (
    HEAD.format(title="Photo words")
    + """<link rel="canonical" href="{base}/photo/555">
<h1 class="title">Photo words</h1>
<img src="/media/photos/555.jpg" alt="">
<a class="album" href="/album/77/album-slug">Album title</a>
<dl class="meta">
  <dt>Views</dt><dd class="views">1,001</dd>
  <dt>Added</dt><dd class="added"><time datetime="2022-06-01">2 years ago</time></dd>
  <dt>Uploaded by</dt><dd><a class="uploader" href="/user/uploader-slug">Uploader Name</a></dd>
</dl>
<div class="models"><a class="model private" href="/model/person-two">Person Two</a></div>
<ul class="tags"></ul>
""".replace("{base}", BASE)
    + FOOT
)

ALBUM_PAGE = (
    HEAD.format(title="Album title")
    + """<link rel="canonical" href="{base}/album/77/album-slug">
<h1 class="title">Album title</h1>
<dl class="meta">
  <dt>Photos</dt><dd class="count">24 photos</dd>
  <dt>Views</dt><dd class="views">4,567</dd>
  <dt>Added</dt><dd class="added"><time datetime="2022-05-30">2 years ago</time></dd>
  <dt>Uploaded by</dt><dd><a class="uploader" href="/user/uploader-slug">Uploader Name</a></dd>
</dl>
<div class="models"><a class="model celebrity" href="/model/person-slug">Person Name</a></div>
<div class="grid">
<a class="photo" href="/photo/555"><img src="/media/photos/555.jpg"></a>
<a class="photo" href="/photo/556"><img src="/media/photos/556.jpg"></a>
</div>
""".replace("{base}", BASE)
    + FOOT
)

PERSON_PAGE = (
    HEAD.format(title="Person Name")
    + """<h1 class="model-name">Person Name</h1><span class="model-kind">celebrity</span>
"""
    + VIDEO_CARD
    + pagination(None, "/model/person-slug?page=2")
    + FOOT
)

ROBOTS = f"""User-agent: *
Disallow: /account/
Disallow: /search
Sitemap: {BASE}/sitemap.xml
"""

SITEMAP_INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{BASE}/sitemaps/videos-1.xml</loc></sitemap>
  <sitemap><loc>{BASE}/sitemaps/photos-1.xml</loc></sitemap>
  <sitemap><loc>{BASE}/sitemaps/albums-1.xml</loc></sitemap>
</sitemapindex>
"""

VIDEO_SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">
  <url>
    <loc>{BASE}/video/123/slug-words</loc>
    <video:video>
      <video:thumbnail_loc>{BASE}/media/thumbs/v123.jpg</video:thumbnail_loc>
      <video:title>Title words</video:title>
      <video:description>Neutral words.</video:description>
      <video:content_loc>{BASE}/media/videos/123.mp4</video:content_loc>
      <video:player_loc>{BASE}/embed/123</video:player_loc>
      <video:duration>754</video:duration>
      <video:view_count>12345</video:view_count>
      <video:publication_date>2021-03-04T10:00:00+00:00</video:publication_date>
      <video:uploader info="{BASE}/user/uploader-slug">Uploader Name</video:uploader>
      <video:tag>sky</video:tag>
      <video:tag>river</video:tag>
      <video:category>Nature</video:category>
    </video:video>
  </url>
</urlset>
"""

PHOTO_SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>{BASE}/photo/555</loc>
    <image:image><image:loc>{BASE}/media/photos/555.jpg</image:loc></image:image></url>
</urlset>
"""

ALBUM_SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>{BASE}/album/77/album-slug</loc>
    <image:image><image:loc>{BASE}/media/photos/555.jpg</image:loc></image:image>
    <image:image><image:loc>{BASE}/media/photos/556.jpg</image:loc></image:image></url>
</urlset>
"""
