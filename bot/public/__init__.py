"""The public web: feeds out and the archive page (COOPNEWS_PUBLIC_WEB=1). Knows no Slack."""
