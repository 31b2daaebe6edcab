"""Staff members and their face templates: enrollment, encrypted storage, gallery sync."""
