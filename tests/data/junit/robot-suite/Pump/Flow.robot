*** Settings ***
Metadata    ddf    VER-001

*** Test Cases ***
Rate Holds
    Should Be Equal    ${1}    ${1}

Bolus Limit [VER-002]
    Should Be Equal    ${1}    ${2}
