"""Rule modules: one per article-10 numeral (``laip_10_NN``) and the portal-level rules (``portal``)."""
