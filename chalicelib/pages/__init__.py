"""Server-rendered pages (issue 27): a recording's page (`/r/{id}`, and a share's `/s/{secret}`), a person's
(`/u/{id}`) and the embeddable player (`/embed/{id}`). Pure: each takes the values it shows and returns HTML; every
user string goes through `markup.text`/`markup.attr` (names and fields are hostile)."""
