"""The app server starts and answers its health check; the menu lists every page.

(Each page's own load, charts and errors: test_pages.py.)
"""

import urllib.request
from pathlib import Path

from playwright.sync_api import expect
from st_dom import REPO_ROOT, declared_pages

PAGES = declared_pages()


def test_app_declares_every_page_script():
    assert PAGES, "app.py declares no st.Page"
    declared = set()
    for path, title in PAGES:
        assert isinstance(path, str) and (REPO_ROOT / path).is_file(), path
        assert title, f"{path}: give st.Page a title= (the menu and this test use it)"
        declared.add(Path(path).as_posix())
    scripts = {
        p.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "pages").glob("*.py")
        if not p.name.startswith("_")
    }
    assert scripts <= declared, f"page scripts missing from app.py: {sorted(scripts - declared)}"


def test_health_endpoint_answers_ok(app_server):
    with urllib.request.urlopen(f"{app_server}/_stcore/health", timeout=5) as response:
        assert response.status == 200
        assert response.read().decode().strip() == "ok"


def test_home_page_loads_without_errors(open_app_warm):
    page = open_app_warm()

    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert "rnnviz" in page.title()
    expect(page.get_by_role("heading", name="rnnviz", level=1)).to_be_visible()
    # The intro shows the course's notation literally, not swallowed as an HTML tag.
    expect(page.get_by_text("a<t>").first).to_be_visible()
    # Streamlit shows the menu only when there is more than one page.
    nav_links = page.locator("[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']")
    if len(PAGES) > 1:
        expect(nav_links).to_have_text([title for _, title in PAGES])
    else:
        expect(nav_links).to_have_count(0)
    assert page.console_errors == []


def test_unknown_page_falls_back_to_home(open_app_warm):
    page = open_app_warm("no-such-page")

    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(page.get_by_role("heading", name="rnnviz", level=1)).to_be_visible()
