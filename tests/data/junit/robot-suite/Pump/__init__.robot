*** Settings ***
Documentation    Infusion pump acceptance tests.
