"""The player other sites frame (`/embed/{id}`): title, owner, waveform, play/pause, time, and a link to the
recording's page. Self-contained: its style and script inline (allowed by hash), its audio the stable link; its CSP
lets any site frame it (`frame-ancestors *`)."""

from __future__ import annotations

from chalicelib.pages.markup import duration_text, text, waveform_svg
from chalicelib.pages.recording_page import Shown, owner_name

EMBED_STYLE = """body{margin:0;font:14px/1.3 system-ui,sans-serif;color:#1b1b1f;background:#fff;overflow:hidden}
.player{display:grid;grid-template-columns:3rem 1fr;gap:.2rem .8rem;padding:.6rem;align-items:center}
button{width:3rem;height:3rem;border-radius:50%;border:0;background:#2456c8;color:#fff;font-size:1.2rem;cursor:pointer}
.title{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.title a{color:inherit;text-decoration:none}.owner,.time{color:#555;font-size:.85rem}
.wave{grid-column:1/3;width:100%;height:56px;display:block}.wave rect{fill:#9db3e6}.wave .played{fill:#2456c8}"""

EMBED_SCRIPT = """(function(){var a=document.getElementById('audio'),b=document.getElementById('play'),
t=document.getElementById('time'),w=document.querySelector('.wave'),r=w?w.querySelectorAll('rect'):[];
function f(s){s=Math.max(0,Math.floor(s||0));var m=Math.floor(s/60),x=s%60;return m+':'+(x<10?'0':'')+x;}
function u(){var d=a.duration||Number(a.dataset.duration)||0;t.textContent=f(a.currentTime)+' / '+f(d);
var n=d?Math.floor(r.length*a.currentTime/d):0;for(var i=0;i<r.length;i++){r[i].classList.toggle('played',i<n);}}
b.addEventListener('click',function(){if(a.paused){a.play();}else{a.pause();}});
a.addEventListener('play',function(){b.textContent='\\u275a\\u275a';b.setAttribute('aria-label','Pause');});
a.addEventListener('pause',function(){b.textContent='\\u25b6';b.setAttribute('aria-label','Play');});
a.addEventListener('timeupdate',u);a.addEventListener('loadedmetadata',u);
if(w){w.addEventListener('click',function(e){var d=a.duration||0;if(d){var x=w.getBoundingClientRect();
a.currentTime=d*(e.clientX-x.left)/x.width;}});}u();})();"""


def embed_page(shown: Shown) -> str:
    recording, at = shown.recording, shown.addresses
    ready = recording.status == "ready"
    audio = (
        f'<audio id="audio" preload="none" src="{text(at.audio)}" '
        f'data-duration="{text(recording.duration or 0)}"></audio>'
        if ready
        else ""
    )
    button = (
        '<button id="play" type="button" aria-label="Play">&#9654;</button>'
        if ready
        else '<button id="play" type="button" disabled aria-label="Not ready">&#8230;</button>'
    )
    time_text = f"0:00 / {duration_text(recording.duration)}" if ready else text(recording.status)
    body = (
        f'<div class="player">{button}<div><div class="title"><a href="{text(at.page)}" target="_blank" '
        f'rel="noopener">{text(recording.name)}</a></div>'
        f'<div class="owner">{text(owner_name(recording))} · <span id="time" class="time">{time_text}</span>'
        f' · <a href="{text(at.page)}" target="_blank" rel="noopener">Cloud Sound</a></div></div>'
        f"{waveform_svg(shown.peaks)}</div>{audio}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{text(recording.name)} · Cloud Sound</title>"
        f'<link rel="icon" href="data:,"><style>{EMBED_STYLE}</style></head>'
        f"<body>{body}{'<script>' + EMBED_SCRIPT + '</script>' if ready else ''}</body></html>\n"
    )
