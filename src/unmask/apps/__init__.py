"""The app route: apps a platform promotes, their APKs, store presence over time and privacy policies.

* ``discover`` — links to store listings, APK downloads, intents and deep links on stored pages;
* ``archive``, ``dex``, ``apk``, ``certificates``, ``trackers`` — offline APK analysis with bounded
  work (zip bombs, tampered zips, hostile dex and manifests); trackers by Exodus Privacy's method;
* ``stores`` — one short class per store on a shared base; ``presence`` turns checks into statuses
  and events ("removed" only after repeated absence in every storefront checked);
* ``policy`` — privacy-policy text, language, segments, OPP-115 categories, data types and signals;
* ``fetching`` — the stage's Fetchers, each with the narrowest scope (the store bases; one URL's origin);
* ``storage`` writes apps, promotions, APKs and store checks (``policy.read`` keeps policy versions);
  ``show`` reads the tables for `apps show` and the report.

A data stage: imports ``unmask.core`` only.
"""
