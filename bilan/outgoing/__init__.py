"""What bilan sends: reminders and acknowledgements of receipt, written from
French templates (`templates/`) and sent through the SMTP server. No Prefect here."""
