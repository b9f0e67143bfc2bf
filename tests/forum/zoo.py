"""A forum zoo on loopback: the demo forum's world rendered as XenForo 2, MyBB 1.8, phpBB 3 and Discourse.

Each site serves the same kind of ``ForumWorld`` (ground truth: what a census must count) with its
engine's markup and URL shapes, and each has deleted threads still in its feed (or listing), a
login-only section, a section whose pagination never ends, attachments and embedded media (which must
never be fetched) and relative dates on its newest threads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.helpers.hostile import HostileServer
from unmask.demo.forum import (
    FAKE_JPEG,
    PAGE_SIZE,
    SECTIONS,
    ForumWorld,
    Reply,
    Section,
    Thread,
    XenForoSite,
    _newest,
)

MEDIA_PREFIXES = (
    "/attachments/",
    "/attachment.php",
    "/data/",
    "/media/",
    "/embed/",
    "/download/",
    "/uploads/",
)
"""Paths of attachments and embedded media: a census never requests them."""


class ZooForum:
    name = "forum"
    root = "/forum"
    adapter = "xenforo2"

    def __init__(self, world: ForumWorld) -> None:
        self.world = world
        self.base = ""
        self.listed = {
            s.id: sorted((t for t in world.threads if t.section is s and not t.deleted), key=_newest)
            for s in SECTIONS
        }

    @property
    def start(self) -> str:
        return self.base + self.root + "/"

    def route(self, path: str, query: dict[str, str]) -> Reply:
        raise NotImplementedError

    def handle(self, h: Any) -> None:
        parts = urlsplit(h.path)
        if any(parts.path.startswith(self.root + p) or parts.path.startswith(p) for p in MEDIA_PREFIXES):
            reply = Reply(200, FAKE_JPEG, b"image/jpeg")
        else:
            reply = self.route(parts.path, dict(parse_qsl(parts.query)))
        h.send_body(reply.status, reply.body, reply.content_type.decode(), **reply.headers)

    @contextmanager
    def serving(self) -> Iterator[HostileServer]:
        with HostileServer() as server:
            self.base = server.base
            server.prefix("/", self.handle)
            yield server

    def page_of(self, s: Section, page: int) -> tuple[list[Thread], bool] | None:
        threads = self.listed[s.id]
        pages = max(1, -(-len(threads) // PAGE_SIZE))
        if page > pages and not s.endless:
            return None
        page = min(page, pages)
        return threads[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], True if s.endless else page < pages


class XenForoZoo(ZooForum):
    name = "xenforo"

    def __init__(self, world: ForumWorld) -> None:
        super().__init__(world)
        self.site = XenForoSite(world, self.root)

    def route(self, path: str, query: dict[str, str]) -> Reply:
        return self.site.respond(path, self.base)


def _html(title: str, body: str, head: str) -> bytes:
    head = f"<meta charset=utf-8><title>{escape(title)}</title>{head}"
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def mybb_time(when: dt.datetime, now: dt.datetime) -> str:
    clock = when.strftime("%I:%M %p")
    if when.date() == now.date():
        hours = int((now - when).total_seconds() // 3600)
        return f"{hours} hours ago" if hours else "Less than 1 hour ago"
    if when.date() == now.date() - dt.timedelta(days=1):
        return f"Yesterday, {clock}"
    return when.strftime("%m-%d-%Y, ") + clock


class MyBBZoo(ZooForum):
    """MyBB 1.8 with SEO URLs (forum-N.html, thread-N.html), its footer's "Current time"."""

    name = "mybb"
    adapter = "mybb"
    HEAD = '<script src="/forum/jscripts/general.js?ver=1832"></script>'

    def page(self, title: str, body: str) -> bytes:
        now = self.world.now.strftime("%m-%d-%Y, %I:%M %p")
        footer = (
            f'<span id="current_time"><strong>Current time:</strong> {now}</span>'
            'Powered By <a href="https://mybb.com" target="_blank">MyBB</a>'
        )
        return _html(title, body + footer, self.HEAD)

    def route(self, path: str, query: dict[str, str]) -> Reply:
        rest = path.removeprefix(self.root)
        if rest in ("", "/", "/index.php"):
            links = "".join(
                f'<tr><td><strong><a href="{self.root}/forum-{s.id}.html">{escape(s.name)}</a></strong>'
                f"</td></tr>"
                for s in SECTIONS
            )
            return Reply(200, self.page("Forum", f"<table>{links}</table>"))
        m = re.fullmatch(r"/forum-(\d+)(?:-page-(\d+))?\.html", rest)
        if m:
            section = next((s for s in SECTIONS if s.id == int(m.group(1))), None)
            if section is None:
                return Reply(404, b"no")
            if section.closed:
                return Reply(
                    200, self.page("Error", "<td>You do not have permission to access this page.</td>")
                )
            found = self.page_of(section, int(m.group(2) or 1))
            if found is None:
                return Reply(404, self.page("Error", "Invalid forum"))
            threads, more = found
            rows = "".join(
                '<tr class="inline_row"><td>'
                + (f'<span class="thread_prefix">[{t.prefix}]</span> ' if t.prefix else "")
                + f'<span class="subject_old" id="tid_{t.id}"><a href="{self.root}/thread-{t.id}.html">'
                f"{escape(t.title)}</a></span>"
                f'<div class="author"><a href="{self.root}/user-9.html">{escape(t.starter)}</a></div></td>'
                f'<td class="replies"><a href="javascript:MyBB.whoPosted({t.id});">{t.replies:,}</a></td>'
                f'<td class="views">{t.views:,}</td>'
                f'<td><span class="lastpost">{mybb_time(t.started, self.world.now)}</span></td></tr>'
                for t in threads
            )
            page = int(m.group(2) or 1)
            nav = (
                f'<a href="{self.root}/forum-{section.id}-page-{page + 1}.html"'
                f' class="pagination_next">Next &raquo;</a>'
                if more
                else ""
            )
            body = (
                f'<div class="navigation"><a href="{self.root}/index.php">Forum</a> &rsaquo; '
                f'<span class="active">{escape(section.name)}</span></div><table>{rows}</table>{nav}'
            )
            return Reply(200, self.page(section.name, body))
        m = re.fullmatch(r"/thread-(\d+)\.html", rest)
        if m:
            t = self.world.by_id.get(int(m.group(1)))
            if t is None or t.deleted:
                return Reply(200, self.page("Error", "The specified thread does not exist."))
            if t.section.closed:
                return Reply(200, self.page("Error", "You do not have permission to access this page."))
            prefix = f'<span class="thread_prefix">[{t.prefix}]</span> ' if t.prefix else ""
            body = (
                f'<div class="navigation"><a href="{self.root}/index.php">Forum</a> &rsaquo; '
                f'<a href="{self.root}/forum-{t.section.id}.html">{escape(t.section.name)}</a></div>'
                f'<span class="thread_title">{prefix}{escape(t.title)}</span>'
                f'<div class="post"><div class="author_information"><strong><span class="largetext">'
                f'<a href="{self.root}/user-9.html">{escape(t.starter)}</a></span></strong></div>'
                f'<span class="post_date">{mybb_time(t.started, self.world.now)}</span>'
                f'<div class="post_body">{escape(t.first_post)}<br>'
                f'<img src="{self.root}/attachment.php?thumbnail={t.id}"></div>'
                f"<fieldset><legend>Attached Files</legend>"
                f'<a href="{self.root}/attachment.php?aid={t.id}">still.jpg</a></fieldset></div>'
            )
            return Reply(200, self.page(t.title, body))
        return Reply(404, self.page("Error", "not found"))


def phpbb_title(t: Thread) -> str:
    """phpBB has no prefixes of its own: posters write them into the title ("[PAID] …")."""
    return f"[{t.prefix}] {t.title}" if t.prefix else t.title


class PhpBBZoo(ZooForum):
    """phpBB 3.3 (prosilver): viewforum/viewtopic with ./ links and an Atom feed of topics."""

    name = "phpbb"
    adapter = "phpbb3"

    def page(self, title: str, body: str) -> bytes:
        return _html(
            title,
            f'<div id="wrap">{body}</div>',
            '<link href="./styles/prosilver/theme/stylesheet.css" rel="stylesheet">',
        ).replace(b"<body>", b'<body id="phpbb" class="nojs">')

    def route(self, path: str, query: dict[str, str]) -> Reply:
        rest = path.removeprefix(self.root)
        if rest in ("", "/", "/index.php"):
            links = "".join(
                f'<a href="./viewforum.php?f={s.id}" class="forumtitle">{escape(s.name)}</a>'
                for s in SECTIONS
            )
            return Reply(200, self.page("Index", links))
        if rest == "/feed.php":
            newest = sorted((t for t in self.world.threads if not t.section.closed), key=_newest)[:40]
            entries = "".join(
                f"<entry><author><name><![CDATA[{t.starter}]]></name></author>"
                f"<published>{t.started.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</published>"
                f'<link href="{self.base}{self.root}/viewtopic.php?t={t.id}&amp;p={t.id * 10}#p{t.id * 10}"/>'
                f'<title type="html"><![CDATA[{t.section.name} • {t.title}]]></title></entry>'
                for t in newest
            )
            body = f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
            return Reply(200, body.encode(), b"application/atom+xml")
        if rest == "/viewforum.php":
            section = next((s for s in SECTIONS if str(s.id) == query.get("f")), None)
            if section is None:
                return Reply(404, b"no")
            if section.closed:
                return Reply(
                    403, self.page("Information", "You must be registered and logged in to view this forum.")
                )
            start = int(query.get("start", "0"))
            found = self.page_of(section, start // PAGE_SIZE + 1)
            if found is None:
                return Reply(404, self.page("Information", "no"))
            threads, more = found
            rows = "".join(
                f'<li class="row"><dl><dt><div class="list-inner">'
                f'<a href="./viewtopic.php?f={section.id}&amp;t={t.id}"'
                f' class="topictitle">{escape(phpbb_title(t))}</a>'
                f'<div class="topic-poster">by '
                f'<a href="./memberlist.php?u=2" class="username">{escape(t.starter)}</a> » '
                f'<time datetime="{t.started.strftime("%Y-%m-%dT%H:%M:%S+00:00")}">'
                f"{t.started:%a %b %d, %Y}</time></div></div></dt>"
                f'<dd class="posts">{t.replies} <dfn>Replies</dfn></dd><dd class="views">{t.views} '
                f"<dfn>Views</dfn></dd></dl></li>"
                for t in threads
            )
            nav = (
                f'<ul><li class="arrow next">'
                f'<a class="button" href="./viewforum.php?f={section.id}&amp;start={start + PAGE_SIZE}"'
                f' rel="next">Next</a></li></ul>'
                if more
                else ""
            )
            nav = nav.replace('class="arrow next"', 'class="next"')
            body = (
                f'<h2 class="forum-title"><a href="./viewforum.php?f={section.id}">{escape(section.name)}</a>'
                f'</h2><ul class="topiclist topics">{rows}</ul>{nav}'
            )
            return Reply(200, self.page(section.name, body))
        if rest == "/viewtopic.php":
            t = self.world.by_id.get(int(query.get("t", "0") or 0))
            if t is None or t.deleted:
                return Reply(404, self.page("Information", "The requested topic does not exist."))
            if t.section.closed:
                return Reply(403, self.page("Information", "You are not authorised to read this forum."))
            body = (
                f'<ul id="nav-breadcrumbs"><li><span class="crumb"><a href="./index.php">Board index</a>'
                f"</span>"
                f'<span class="crumb" data-forum-id="{t.section.id}">'
                f'<a href="./viewforum.php?f={t.section.id}">{escape(t.section.name)}</a></span></li></ul>'
                f'<h2 class="topic-title"><a href="./viewtopic.php?t={t.id}">'
                f"{escape(phpbb_title(t))}</a></h2>"
                f'<div class="post"><p class="author">by '
                f'<a class="username" href="./memberlist.php?u=2">{escape(t.starter)}</a> » '
                f'<time datetime="{t.started.strftime("%Y-%m-%dT%H:%M:%S+00:00")}">x</time></p>'
                f'<div class="content">{escape(t.first_post)}<img'
                f' class="postimage" src="./download/file.php?id={t.id}&amp;mode=view"></div>'
                f'<dl class="attachbox"><dd>'
                f'<a class="postlink" href="./download/file.php?id={t.id}">still.jpg</a></dd></dl></div>'
            )
            return Reply(200, self.page(t.title, body))
        return Reply(404, self.page("Information", "no"))


class DiscourseZoo(ZooForum):
    """Discourse: an HTML shell that names itself, categories.json, latest.json (which still lists deleted
    topics, as its cache does), category listings and topic JSON."""

    name = "discourse"
    adapter = "discourse"
    root = ""

    def topic(self, t: Thread) -> dict[str, Any]:
        return {
            "id": t.id,
            "slug": t.slug,
            "title": t.title,
            "reply_count": t.replies,
            "views": t.views,
            "created_at": t.started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "last_posted_at": t.started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "category_id": t.section.id,
            "tags": [t.prefix.lower()] if t.prefix else [],
        }

    def listing(self, threads: list[Thread], more: str | None) -> Reply:
        data: dict[str, Any] = {"topic_list": {"topics": [self.topic(t) for t in threads]}}
        if more:
            data["topic_list"]["more_topics_url"] = more
        return Reply(200, json.dumps(data).encode(), b"application/json")

    def route(self, path: str, query: dict[str, str]) -> Reply:
        page = int(query.get("page", "0") or 0)
        if path in ("", "/"):
            shell = '<!DOCTYPE html><html><head><meta name="generator" content="Discourse 3.2.0 - https://github.com/discourse/discourse"></head><body><noscript>forum</noscript></body></html>'
            return Reply(200, shell.encode())
        if path == "/categories.json":
            cats = [
                {"id": s.id, "name": s.name, "slug": s.slug, "read_restricted": s.closed} for s in SECTIONS
            ]
            return Reply(
                200, json.dumps({"category_list": {"categories": cats}}).encode(), b"application/json"
            )
        if path == "/latest.json":
            everything = sorted((t for t in self.world.threads if not t.section.closed), key=_newest)
            shown = everything[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            more = f"/latest?page={page + 1}" if (page + 1) * PAGE_SIZE < len(everything) else None
            return self.listing(shown, more)
        m = re.fullmatch(r"/c/[^/]+/(\d+)\.json", path)
        if m:
            section = next((s for s in SECTIONS if s.id == int(m.group(1))), None)
            if section is None:
                return Reply(404, b'{"errors":["not found"],"error_type":"not_found"}', b"application/json")
            if section.closed:
                return Reply(
                    403,
                    b'{"errors":["You are not permitted to view this."],"error_type":"invalid_access"}',
                    b"application/json",
                )
            found = self.page_of(section, page + 1)
            if found is None:
                return self.listing([], None)
            threads, more = found
            return self.listing(threads, f"/c/{section.slug}/{section.id}?page={page + 1}" if more else None)
        m = re.fullmatch(r"/t/[^/]+/(\d+)\.json", path)
        if m:
            t = self.world.by_id.get(int(m.group(1)))
            if t is None or t.deleted:
                return Reply(
                    404,
                    b'{"errors":["The requested URL could not be found."],"error_type":"not_found"}',
                    b"application/json",
                )
            if t.section.closed:
                return Reply(403, b'{"error_type":"invalid_access"}', b"application/json")
            cooked = (
                f'<p>{escape(t.first_post)}</p><p><img src="/uploads/default/original/1X/{t.id}.jpeg"></p>'
            )
            data = {
                **self.topic(t),
                "details": {"created_by": {"username": t.starter}},
                "post_stream": {"posts": [{"post_number": 1, "cooked": cooked}]},
            }
            return Reply(200, json.dumps(data).encode(), b"application/json")
        return Reply(404, b'{"error_type":"not_found"}', b"application/json")


ZOO = {cls.name: cls for cls in (XenForoZoo, MyBBZoo, PhpBBZoo, DiscourseZoo)}
