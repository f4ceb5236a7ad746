"""models/lmm"""
