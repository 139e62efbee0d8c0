"""The floor app's replay (benchmarks/floor_record.py, RNNVIZ_FLOOR_REPLAY) sends what rnnviz's
page sent to the main area, message for message, at the sentence in its sidebar: the floor it
measures in the browser is that page's own elements, with no computation behind them."""

import base64
import json
from pathlib import Path

import floor_record
import pytest
from browser import DEFAULT_SENTENCE, OTHER_SENTENCE
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

PAGE = "Forward pass"


def _drawn(raw_msgs: list[bytes]) -> list[tuple[tuple[int, ...], bytes]]:
    """(delta path, delta) of each message, without the fragment id the replay clears."""
    out = []
    for raw in raw_msgs:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        msg.delta.ClearField("fragment_id")
        out.append((tuple(msg.metadata.delta_path), msg.delta.SerializeToString()))
    return out


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> tuple[Path, dict]:
    rec = floor_record.record((DEFAULT_SENTENCE, OTHER_SENTENCE), 120, titles={PAGE})
    path = tmp_path_factory.mktemp("replay") / "recording.json"
    path.write_text(json.dumps(rec))
    return path, rec


def test_the_recording_holds_the_page_at_both_sentences(recording):
    _, rec = recording
    assert rec["pages"] == [PAGE]
    by_text = {t: _drawn([base64.b64decode(m) for m in msgs])
               for t, msgs in rec["recorded"][PAGE].items()}
    assert set(by_text) == {DEFAULT_SENTENCE, OTHER_SENTENCE}
    # The page's title comes first, and its chart differs between the two sentences.
    first = ForwardMsg()
    first.ParseFromString(base64.b64decode(rec["recorded"][PAGE][DEFAULT_SENTENCE][0]))
    assert first.delta.new_element.heading.body == "Forward pass"
    assert by_text[DEFAULT_SENTENCE] != by_text[OTHER_SENTENCE]


def test_the_replay_sends_what_the_page_sent(recording, monkeypatch):
    path, rec = recording
    monkeypatch.setenv("RNNVIZ_FLOOR_REPLAY", str(path))
    monkeypatch.setenv("RNNVIZ_FLOOR_ELEMENT", "component")
    decoded = {t: [base64.b64decode(m) for m in msgs]
               for t, msgs in rec["recorded"][PAGE].items()}
    def first_run(text):
        """A new visitor's first run at `text` (AppTest cannot rerun a page of replayed
        widgets: the widgets are drawn, not registered, so it finds no value to send)."""
        at = AppTest.from_file(str(ROOT / "benchmarks" / "floor_app.py"), default_timeout=60)
        at.session_state["floor.text"] = text
        at.run()
        assert not at.exception
        return at

    with floor_record.last_run() as last:
        for text in (DEFAULT_SENTENCE, OTHER_SENTENCE):
            first_run(text)
            assert _drawn(floor_record.main_deltas(last)) == _drawn(decoded[text])
        # A sentence that was not recorded is said so, not replaced by another's elements.
        at = first_run("Something else.")
        assert [e.value for e in at.error] == [
            f"{PAGE}: no recording at this sentence "
            f"({sorted([DEFAULT_SENTENCE, OTHER_SENTENCE])})"]
        assert len(floor_record.main_deltas(last)) == 1
