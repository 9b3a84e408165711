#!/usr/bin/env python3
"""Strict well-formedness check of a Portolan HTML report, and its outline (for golden tests).

Usage: html_check.py FILE  -> outline on stdout, exit 0; problems on stderr, exit 1.
Stricter than browsers: every non-void element is closed explicitly and in order, attribute
values are quoted, character references are from a short list, no external resource is named.
"""
import re
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "input", "hr", "img", "link", "wbr", "col"}
SVG_EMPTY = {"line", "rect", "path", "circle", "polyline"}
REFS = {"amp", "lt", "gt", "quot", "#39"}
BOOLEAN_ATTRS = {"open", "hidden"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack = []
        self.errors = []
        self.outline = []
        self.ids = set()
        self.doctype = False
        self.text_target = None
        self.text = ""
        self.rows = None

    def err(self, msg):
        line, col = self.getpos()
        self.errors.append(f"{line}:{col}: {msg}")

    def handle_decl(self, decl):
        if decl.lower() != "doctype html" or self.stack:
            self.err(f"unexpected declaration {decl!r}")
        self.doctype = True

    def check_attrs(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        for name, value in attrs:
            if value is None:
                if name not in BOOLEAN_ATTRS:
                    self.err(f"<{tag}> attribute {name} without a value")
                continue
            if not re.search(r'\s' + re.escape(name) + r'="[^"<]*"', raw, re.I):
                self.err(f"<{tag}> attribute {name} not double-quoted (or holds '<')")
            if name == "id":
                if value in self.ids:
                    self.err(f"duplicate id {value!r}")
                self.ids.add(value)
            if name in ("src", "href", "action", "xlink:href") or (name == "style" and "url(" in value):
                self.err(f"<{tag}> names an external resource: {name}={value!r}")

    def handle_starttag(self, tag, attrs):
        if not self.doctype:
            self.err("content before <!DOCTYPE html>")
        self.check_attrs(tag, attrs)
        if tag in ("link", "iframe", "object", "embed", "img"):
            self.err(f"<{tag}> is not allowed in a self-contained report")
        if tag in VOID:
            return
        self.stack.append(tag)
        cls = dict(attrs).get("class", "")
        if self.text_target is None and (tag in ("h1", "h2", "h3", "summary", "caption", "figcaption")
                                         or cls in ("gh", "cellhead")):
            self.text_target = tag
            self.text_depth = len(self.stack)
            self.text_label = tag if tag in ("h1", "h2", "h3", "summary", "caption", "figcaption") else cls
            self.text = ""
        if tag == "section":
            self.outline.append("section#" + dict(attrs).get("id", "?"))
        if tag == "table":
            self.rows = 0
        if tag == "tr" and self.rows is not None:
            self.rows += 1

    def handle_startendtag(self, tag, attrs):
        self.check_attrs(tag, attrs)
        if tag not in VOID and tag not in SVG_EMPTY:
            self.err(f"<{tag}/> is not a void or SVG element")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.err(f"end tag for void element {tag}")
            return
        if not self.stack:
            self.err(f"stray </{tag}>")
            return
        top = self.stack.pop()
        if top != tag:
            self.err(f"</{tag}> closes <{top}>")
        if tag == self.text_target and len(self.stack) + 1 == self.text_depth:
            self.outline.append(f"{self.text_label} {' '.join(self.text.split())}")
            self.text_target = None
        if tag == "table" and self.rows is not None:
            self.outline.append(f"table rows={self.rows}")
            self.rows = None

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style"):
            if self.stack[-1] == "style" and ("url(" in data or "@import" in data):
                self.err("style names an external resource")
            if self.stack[-1] == "script" and re.search(r"\b(fetch|XMLHttpRequest|import\s*\(|src\s*=)", data):
                self.err("script loads something")
            return
        if "<" in data or ">" in data:
            self.err(f"raw '<' or '>' in text: {data[:40]!r}")
        if self.text_target:
            self.text += data

    def handle_entityref(self, name):
        if name not in REFS:
            self.err(f"unknown reference &{name};")
        if self.text_target:
            self.text += {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}.get(name, "?")

    def handle_charref(self, name):
        if "#" + name not in REFS:
            self.err(f"unexpected reference &#{name};")
        if self.text_target:
            self.text += "'"

    def handle_comment(self, data):
        self.err("comment in report")


def main():
    path = sys.argv[1]
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"not UTF-8: {e}", file=sys.stderr)
        return 1
    c = Checker()
    # A bare '&' (not a reference) outside script and style.
    body = re.sub(r"<(script|style)>.*?</\1>", "", text, flags=re.S)
    for m in re.finditer(r"&(?!(amp|lt|gt|quot|#39);)", body):
        c.errors.append(f"offset {m.start()}: bare '&'")
    c.feed(text)
    c.close()
    if c.stack:
        c.errors.append("unclosed at the end: " + " ".join(c.stack))
    if not c.doctype:
        c.errors.append("no <!DOCTYPE html>")
    if c.errors:
        print("\n".join(c.errors[:50]), file=sys.stderr)
        return 1
    print("\n".join(c.outline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
