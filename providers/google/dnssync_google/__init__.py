"""Google Cloud DNS provider for dnssync (``--provider google``).

The entry point is :class:`dnssync_google.provider.GoogleCloudDnsProvider`. Importing this
package never imports the Google libraries; they are loaded when the provider first talks
to the API.
"""

__version__ = "0.1.0"
