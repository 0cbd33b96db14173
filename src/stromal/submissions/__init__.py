"""One user action, one record: one-time submission tokens for every POST form.

The problem: the same form page posted twice (a double click, the browser's
"resend") ran the view twice and stored two records.

The design, in three small pieces:

1. ``{% submission_token %}`` (a built-in template tag, see ``settings.TEMPLATES``)
   writes a hidden input with a fresh random token. It sits on its own line
   right after ``{% csrf_token %}`` in every POST form;
   ``tests/test_submissions.py`` walks every template and fails when a POST
   form lacks it.
2. ``SubmissionTokenMiddleware`` wraps a POST that carries a token in one
   transaction and first *claims* the token by inserting a ``Submission`` row
   (the token column is unique). Then it runs the view:

   - the view answers with a redirect (this app's "done" answer,
     post/redirect/get): the row keeps the redirect target and commits together
     with the record the view wrote;
   - the view answers anything else (form errors 200/400, 403, 404, a redirect
     to the login page): the row is deleted, so the corrected resubmission of
     the same page is not blocked; what the view wrote (for example a recorded
     identity-check mismatch) is kept as before;
   - the view fails (5xx): the whole transaction is rolled back, the token
     included, so nothing is half saved.

3. A repeat of a claimed token does not reach the view: it is redirected to
   where the first submission went, with a note. Two identical posts that
   arrive at the same time cannot both pass, because the second insert of the
   same unique token waits for the first transaction (PostgreSQL's unique
   index; SQLite's ``BEGIN IMMEDIATE`` write lock, see ``settings._database``)
   and then fails, so the second request reads the finished first result.

4. Browser Back, then Save. Pages of signed-in users are sent
   ``Cache-Control: no-store``, so Back fetches the form page again with a
   *fresh* token while the browser restores the values typed before: the
   token alone sees a new action. So the claim also stores a fingerprint
   (SHA-256 of the user, the path and every posted value except the CSRF and
   submission tokens, ``middleware.form_fingerprint``). When the same user
   posts the same values to the same path within ``REPEAT_WINDOW`` (10
   minutes) of a carried-out submission, the view is not run: the answer is
   the first result (its redirect) with a note saying nothing was saved twice
   and how to record a truly identical second entry (wait, or change a value).
   Why this and not "refuse any identical record": the rule sits in one
   place for every create form, needs no per-model notion of "the same", and
   a value that differs in anything (another time, another dose, another
   name) is saved normally. The window is short because a genuinely repeated
   identical entry by the same person on the same page is rare and can wait;
   a duplicate clinical record is not harmless. Visitors who are not signed in
   (the public request form) have no fingerprint: two people at one address
   may send the same words, and that form has its own rate limit.

5. Lifetime. A token carries its issue time (``middleware.new_token``: 32
   random characters, a dot, seconds since the epoch in base 36). A token
   older than ``TOKEN_MAX_AGE`` (24 hours, longer than any session) is
   refused with a message to open the page again, and a token dated in the
   future is refused as damaged. That is what makes pruning safe: after each
   carried-out submission, claims older than ``TOKEN_MAX_AGE`` are deleted
   (their tokens can no longer be sent), so the table holds about a day of
   submissions instead of growing for ever.

No view changes: a form that carries the tag is protected. A POST without a
token (API clients, tests posting dictionaries) is processed as before.
"""
