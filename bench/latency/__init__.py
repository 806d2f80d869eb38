"""Page latency at scale, for bench/pages.py (and bench/export.py, bench/render.py):

- `targets`: the pages measured, with URLs of real objects of the big shop;
- `server`: the portal's environment in production mode, static files, workers' memory;
- `client`: an HTTP client with its own cookies that signs in through the login form;
- `measure`: timed requests from concurrent clients, the floor interleaved, CSV downloads;
- `report`: the tables and the targets of issue 6;
- `inprocess`: SQL queries, profiles and plans of each page through the test Client.
"""
