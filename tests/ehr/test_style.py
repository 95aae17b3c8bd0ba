"""smart_style_url: only plain hex colours are taken from the EHR."""

from smartapp.ehr.style import smart_style
from tests.ehr.auth_fakes import clean_cache, fake_ehr, json_answer  # noqa: F401  (fixtures)


def test_only_hex_colours_are_taken_and_the_answer_is_cached(fake_ehr):  # noqa: F811
    fake_ehr.answers["/style.json"] = json_answer(
        {
            "color_highlight": "red; } body { display: none",
            "color_text": "#123456",
            "color_background": "url(https://tracker.example/x.png)",
            "color_error": "#abc",
        }
    )
    url = fake_ehr.url("/style.json")
    assert smart_style(url) == {"color_text": "#123456", "color_error": "#abc"}
    assert smart_style(url) == {"color_text": "#123456", "color_error": "#abc"}
    assert len(fake_ehr.seen) == 1


def test_a_style_url_off_the_allow_list_is_never_fetched():
    assert smart_style("http://127.0.0.2:9/style.json") == {}
    assert smart_style("") == {}
