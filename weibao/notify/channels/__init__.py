"""One module per delivery channel, all behind `channels.base.Sender`.

In-app notifications are rows in our own database (`inapp`); chat robots (`chat`) and outbound
webhooks (`webhook`) reach other machines and so go through the Delivery log with retries.
"""
