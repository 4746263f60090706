from django.urls import path

from warden.web import securitytxt, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("project/<str:name>/", views.project_detail, name="project"),
    path("project/<str:name>/<str:version>/", views.release_detail, name="release"),
    path("user/<str:username>/", views.user_detail, name="user"),
    path(".well-known/security.txt", securitytxt.security_txt, name="security-txt"),
]
