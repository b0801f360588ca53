"""The site's content security policy (CONTENT_SECURITY_POLICY, sent by core/middleware.py)."""


def content_security_policy(stripe: bool) -> dict:
    """Our own origin only; with `stripe` (PAYMENT_GATEWAY=stripe), Stripe's too."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if stripe:
        # Stripe's card fields must load from Stripe (PCI DSS SAQ A): the one outside origin we
        # allow.
        directives["script-src"].append("https://js.stripe.com")
        directives["frame-src"] = ["https://js.stripe.com", "https://hooks.stripe.com"]
        directives["connect-src"].append("https://api.stripe.com")
    return {"DIRECTIVES": directives}
