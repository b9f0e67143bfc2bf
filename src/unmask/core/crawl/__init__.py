"""The crawl engine the census and the forum census share (Scrapy underneath, the case store as journal).

- ``frontier.py``  url keys, frontier rows and their store (insert / claim / done), the run's opening, its
                   completeness verdict and its end: a stage's writer is a short subclass that names its
                   tables and stores what its pages say
- ``spider.py``    the spider base: requests for frontier rows, a response's server time, a request that got
                   no page mapped to a frontier status
- ``pipeline.py``  the one writer inside Scrapy: stores read pages in batches, feeds Scrapy the frontier a
                   window at a time, settles lost requests and the request limit; a stage adds its phases
- ``runner.py``    one crawl per case (lock), Ctrl-C (graceful, then at once), progress bars, the Scrapy
                   process and its settings

A stage declares what differs (its tables, page kinds, extraction, phases), as a Scrapy spider does on its
base; it never imports another stage.
"""
