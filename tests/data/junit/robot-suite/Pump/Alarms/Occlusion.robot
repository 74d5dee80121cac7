*** Test Cases ***
Occlusion Alarm Sounds
    Skip    hardware not attached

Occlusion Alarm Clears
    Log    ok
