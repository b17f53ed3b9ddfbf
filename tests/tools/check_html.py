#!/usr/bin/python3
"""Opens migsim's HTML reports in headless Chromium and checks what a reader sees.

usage: check_html.py [--expect-class CLASS]... [--min-svg N] FILE...

For each FILE: Chromium (Debian's `chromium`, --headless --no-sandbox
--disable-gpu) takes a screenshot, which must not be blank (at least 1 % of
its pixels not the background, and several colours), and dumps the DOM after
rendering, which must hold at least N <svg> elements (default 2: the lock
timeline and a scaling plot), each with drawn content, and an element of each
--expect-class. The page must load nothing from the network. Exits 1 on a
failed check, 2 when Chromium cannot run.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(binary, profile, args, url):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args, url]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, colour = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + a) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + b) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif filter_type == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def check(binary, path, args):
    problems = []
    html = open(path, encoding="utf-8").read()
    if re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html) or "@import" in html:
        problems.append("references an external asset")
    url = "file://" + os.path.abspath(path)
    with tempfile.TemporaryDirectory() as tmp:
        shot = os.path.join(tmp, "shot.png")
        r = run_chromium(binary, os.path.join(tmp, "profile"), ["--window-size=1000,1400", f"--screenshot={shot}"], url)
        if not os.path.exists(shot):
            print(f"{path}: chromium took no screenshot: {r.stderr.decode(errors='replace')[-2000:]}", file=sys.stderr)
            sys.exit(2)
        width, height, rows = png_pixels(shot)
        background = rows[0][0]
        drawn = sum(1 for row in rows for px in row if px != background)
        colours = {px for row in rows[::4] for px in row[::4]}
        if drawn < 0.01 * width * height or len(colours) < 4:
            problems.append(f"the screenshot is blank ({drawn} of {width * height} pixels drawn, {len(colours)} colours)")
        r = run_chromium(binary, os.path.join(tmp, "profile"), ["--dump-dom"], url)
        dom = r.stdout.decode("utf-8", errors="replace")
    svgs = re.findall(r"<svg\b[^>]*>(.*?)</svg>", dom, flags=re.S)
    if len(svgs) < args.min_svg:
        problems.append(f"the rendered DOM has {len(svgs)} <svg> elements, expected at least {args.min_svg}")
    for i, body in enumerate(svgs):
        if not re.search(r"<(path|rect|circle|line)\b", body):
            problems.append(f"<svg> number {i + 1} draws nothing")
    for cls in args.expect_class:
        if not re.search(r"""class=["'][^"']*\b%s\b""" % re.escape(cls), dom):
            problems.append(f"no element of class '{cls}' in the rendered DOM")
    for p in problems:
        print(f"{path}: {p}")
    if not problems:
        print(f"{path}: ok ({len(svgs)} plots, {drawn} of {width * height} pixels drawn)")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--expect-class", action="append", default=[])
    parser.add_argument("--min-svg", type=int, default=2)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    binary = chromium()
    if binary is None:
        print("chromium is not installed (Debian package chromium)", file=sys.stderr)
        return 2
    ok = all([check(binary, f, args) for f in args.files])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
