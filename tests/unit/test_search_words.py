"""What a recording is found by: folded words, their prefixes, the scopes, and a query's words."""

from __future__ import annotations

from chalicelib.recording import new_recording
from chalicelib.search_words import PREFIX_CHARS, fold, index_keys, matches, query_words, recording_words, search_key


def recording(name, owner=1, **fields):
    return new_recording(owner, name, status="ready", **fields)


def test_words_are_case_and_accent_folded():
    assert fold("Café ÉTÉ Straße") == "cafe ete strasse"
    assert recording_words(recording("Harbor Ember #57")) == {"harbor", "ember", "57"}


def test_kind_fields_and_the_originals_title_and_artist_are_words_too():
    podcast = recording("Ep 3", kind="podcast", host="Ann Lee", participants=["Bo Díaz"])
    song = recording("tagged", original={"tags": {"title": ["Red Song"], "artist": ["Jo Ray"], "album": ["X"]}})

    assert {"ann", "lee", "bo", "diaz"} <= recording_words(podcast)
    assert {"red", "song", "jo", "ray"} <= recording_words(song)
    assert "x" not in recording_words(song)


def test_each_query_word_must_begin_a_word_of_the_recording():
    harbor = recording("Harbor Ember #57")

    assert matches(harbor, query_words("ember"))
    assert matches(harbor, query_words("EMB har"))
    assert not matches(harbor, query_words("mber"))  # inside a word is not the start of one
    assert not matches(harbor, query_words("ember cafe"))


def test_a_query_keeps_its_longest_words_and_reads_the_longest():
    assert query_words("em Ember ember e") == ("ember",)
    assert query_words("a harbor em") == ("harbor", "em", "a")
    assert search_key("public", query_words("a harbor")) == "public#harbor"
    assert query_words("#!? ") == ()


def test_a_long_word_is_keyed_by_its_first_characters_and_checked_whole():
    long = recording("Supercalifragilistic")
    query = query_words("supercalifragilistic")

    assert search_key("public", query) == f"public#{'supercalifragilistic'[:PREFIX_CHARS]}"
    assert search_key("public", query) in index_keys(long)
    assert matches(long, query)
    assert not matches(recording("Supercalifragile"), query)


def test_a_listed_recording_is_found_publicly_and_by_its_owner_an_unlisted_one_only_by_its_owner():
    public = recording("Ember", owner=7)
    private = recording("Ember", owner=7, visibility="private")

    assert {"public#e", "public#ember", "own:7#ember"} <= index_keys(public)
    assert index_keys(private) == {"own:7#e", "own:7#em", "own:7#emb", "own:7#embe", "own:7#ember"}
    assert index_keys(None) == set()
