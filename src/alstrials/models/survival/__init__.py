"""models/survival"""
