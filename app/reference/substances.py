from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.models import Substance


def subtree_ids_query(root_id: int, name: str = "subtree") -> Select[tuple[int]]:
    """The ids of a substance and all its descendants, as a recursive CTE."""
    tree = select(Substance.id).where(Substance.id == root_id).cte(name, recursive=True)
    tree = tree.union_all(select(Substance.id).where(Substance.parent_id == tree.c.id))
    return select(tree.c.id)


def subtree_ids(session: Session, root_id: int) -> set[int]:
    return set(session.scalars(subtree_ids_query(root_id)))
