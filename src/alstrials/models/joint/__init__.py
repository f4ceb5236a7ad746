"""models/joint"""
