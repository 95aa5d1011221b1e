"""Web pages: sign-in, sign-out and a minimal start page (the real UI comes with issue 6)."""
