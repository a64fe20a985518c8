"""PySpark jobs: pure DataFrame -> DataFrame transforms and thin ``main()`` scripts."""
