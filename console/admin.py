from django.contrib import admin

admin.site.site_header = "CSMS operator console"
admin.site.site_title = "CSMS"
admin.site.index_title = "Fleet administration"
# The header links to the dashboard instead (templates/admin/base_site.html).
admin.site.site_url = None
