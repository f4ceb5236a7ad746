"""design/power"""
