"""Whether a page fits the screen it is shown on: the German pages' browser tests take each page
at desktop and at phone width (German words are long)."""

SIZES = {"": {"width": 1280, "height": 900}, "-phone": {"width": 390, "height": 844}}
# Whether an element shows whole: inside the screen and not cut off inside itself.
WHOLE = """(el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.left >= -0.5 && box.right <= window.innerWidth + 0.5
    && el.scrollWidth <= el.clientWidth + 1;
}"""


def fits_the_screen(page) -> None:
    """The page is no wider than the screen and every button in <main> shows whole."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("innerWidth"), width
    for button in page.locator("main button:visible, main a.button:visible").all():
        assert button.evaluate(WHOLE), button.inner_text()
