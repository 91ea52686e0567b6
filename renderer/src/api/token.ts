const STORAGE_KEY = 'upkeep.token';

/**
 * The headless host's access token arrives in the URL fragment (`#token=…`) on first load: it is kept
 * in sessionStorage and removed from the address bar so it is not bookmarked or shared by accident.
 */
export function takeAccessToken(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  const fromHash = new URLSearchParams(hash).get('token');
  if (fromHash) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, fromHash);
    } catch {
      // Storage may be disabled; the token still works for this page's lifetime.
    }
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, '', `${pathname}${search}`);
    return fromHash;
  }
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
