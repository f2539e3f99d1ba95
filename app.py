"""Crosswalk's app: search the provisions, review candidate counterparts side by side, see the crosswalk.

Run it with `crosswalk app` (127.0.0.1:8501), or directly:

    CROSSWALK_WORKSPACE=workspace streamlit run app.py --server.address 127.0.0.1 --server.headless true \
        --browser.gatherUsageStats false

The pages live in `app_pages/` (installed as `crosswalk.app_pages`); this file only runs them.
"""

from crosswalk.app_pages.app import main

main()
