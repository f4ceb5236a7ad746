"""The interim DMC report: the open (pooled) and closed (by arm) reports, their content blocks
(cover, disposition, completeness, efficacy wording), the data snapshot identifier and printing
to PDF with headless Chromium."""
