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


# Whether a closed <select> shows its chosen option whole: the option's text, in the select's
# font, within the select's inner width less its arrow (scrollWidth does not see a select's cut).
CHOICE_WHOLE = """(el) => {
  const style = getComputedStyle(el);
  const pen = document.createElement("canvas").getContext("2d");
  pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = el.selectedIndex >= 0 ? el.options[el.selectedIndex].text : "";
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const arrow = style.appearance === "none" ? 0 : 20;
  return pen.measureText(text).width <= room - arrow;
}"""


def cut_off_choices(page) -> list[str]:
    """The ids of the selects in <main> whose chosen option is cut off on this screen."""
    return [
        select.get_attribute("id") or select.get_attribute("name")
        for select in page.locator("main select:visible").all()
        if not select.evaluate(CHOICE_WHOLE)
    ]
